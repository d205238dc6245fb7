reset
set terminal pngcairo size 800,500 enhanced font "DejaVu Sans Mono,9" background rgb "#000000" linewidth 1
set output '/tmp/chart.png'
set encoding utf8
set datafile missing NaN
set border 3 lc rgb "#5F5F5F"
set tics textcolor rgb "#BCBCBC" nomirror
set key textcolor rgb "#BCBCBC" top left opaque box lc rgb "#3A3A3A"
set title textcolor rgb "#FFB000"
set xlabel textcolor rgb "#BCBCBC"
set ylabel textcolor rgb "#BCBCBC"
set y2label textcolor rgb "#BCBCBC"
set border 9 lc rgb "#5F5F5F"
unset ytics
set y2tics textcolor rgb "#BCBCBC" nomirror
set link y2
set grid xtics y2tics lc rgb "#303030" lw 1 dt 1
set multiplot
set origin 0,0.27
set size 1,0.69
set tmargin 0.5
set bmargin 0.5
set lmargin 8
set rmargin 10
set format x ""
unset title
set xdata time
set timefmt "%s"
set xtics 10
set key
unset xlabel
set y2label "P\\&L"
unset ylabel
unset logscale y
plot '$DATA0_0' binary format="%float64%float64" using 1:2 with lines lw 1.5 dt 1 lc rgb "#FFB000" title "equity"
set origin 0,0.04
set size 1,0.23
set tmargin 0.5
set bmargin 3
set lmargin 8
set rmargin 10
unset format
unset title
set xdata time
set timefmt "%s"
set xtics 10
set format x "%H:%M:%S" timedate
unset key
unset xlabel
set y2label "drawdown"
unset ylabel
unset logscale y
plot '$DATA1_0' binary format="%float64%float64" using 1:2 with filledcurves y1=0 fs solid 0.35 lc rgb "#FF5F5F" notitle
unset multiplot
unset output
