reset
set terminal svg size 640,400 dynamic enhanced font "DejaVu Serif,10" background rgb "#FFFFFF"
set output '/tmp/h.svg'
set encoding utf8
set datafile missing NaN
set border 3 lc rgb "#000000"
set tics nomirror textcolor rgb "#000000"
set key top left box lc rgb "#000000"
set title textcolor rgb "#000000"
set grid xtics ytics lc rgb "#D0D0D0" lw 1 dt 3
set xdata
set xtics autofreq
set key
set xlabel "px"
set ylabel "count"
unset logscale y
plot '$DATA0_0' binary format="%float64%float64%float64" using 1:2:3 with boxes fs solid 0.6 lc rgb "#000000" title "px"
unset output
